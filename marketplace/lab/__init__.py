"""The trade-off lab: the same workload in event style and in command style, under the same scenario, measured.

``run_experiment`` (or the dashboard's Trade-offs page) places tagged orders of the lab's own vendors on the
running stack, turns the fault lab on and off as the scenario says, plays the vendors' staff, waits for every
order to settle and writes what it measured into an ``Experiment`` row.
"""

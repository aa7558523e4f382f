"""Step "handler": calls the handler with the message; what it returns is the attempt's result."""


def step(attempt, next):
    attempt.result = attempt.handler(attempt.message)
    next(attempt)

"""Vendors' writes. Each runs in one transaction with the messages it emits."""

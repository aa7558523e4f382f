"""Orders' writes, one module per concern. Each runs in one transaction with the messages it emits."""

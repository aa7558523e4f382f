"""Display formats of our own (``FORMAT_MODULE_PATH``): the admin writes dates and times as every page does."""

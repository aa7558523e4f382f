# How Django writes a moment wherever it does it for us (the admin's lists and fields, |date without a format):
# the same as the |timestamp filter of marketplace_time, "30 Nov 2026, 16:40:32 UTC".
DATETIME_FORMAT = "j M Y, H:i:s T"
SHORT_DATETIME_FORMAT = "j M Y, H:i:s T"
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i:s"

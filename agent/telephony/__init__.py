"""Phone calls through a LiveKit SIP trunk: caller ID, transfer, hang-up, keypad entry, config."""

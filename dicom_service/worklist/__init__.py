"""The worklist (UPS-RS): workitems, their state machine, their search, their records."""

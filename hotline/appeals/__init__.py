"""The appeal register (issue 16): appeals and complaints registered with a number and an
answer deadline, handed to the unit that must act, answered and reported on."""

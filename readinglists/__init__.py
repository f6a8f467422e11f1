"""Reading lists: papers a reader without an account keeps, shares and subscribes to (issue 15)."""

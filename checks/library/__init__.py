"""The checks, one module per area; each module's name is the group its checks run in."""

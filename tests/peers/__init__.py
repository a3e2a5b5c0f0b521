"""Our own tests standing for the peers' test suites (HIPS autograd, micrograd, minitorch).

Each test names the peer case it stands for; none of the peers' code is copied.
"""

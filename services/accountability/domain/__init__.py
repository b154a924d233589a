"""The rules of accountability, pure and without I/O: one module per stream kind.

`ladder`: escalations of a responsible unit (stream `unit:<unit>`).
`measures`: measures against units and officials (stream `measure:<id>`).
"""

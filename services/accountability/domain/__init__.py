"""The rules of accountability, pure and without I/O: one module per stream kind.

`ladder`: escalations of a responsible unit (stream `unit:<unit>`).
`measures`: measures against units and officials (stream `measure:<id>`).
`rounds`: joint inspection rounds (联合督查, stream `round:<id>`).
`bulletins`: supervision bulletins (督查通报, stream `bulletins:<year>`, numbered by its version).
`summons`: collective summons meetings (集体约谈会, stream `summons-meeting:<id>`).
`meetings`: meetings on the work (常委会, 常务会, 动员会, 推进会, 调度会; stream `meeting:<id>`).
"""

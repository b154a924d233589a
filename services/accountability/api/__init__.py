"""Routes of accountability, one module per resource: `measures`, a unit's record (`units`), the `policy`, and the
documents of the supervision: `rounds` (联合督查), `bulletins` (督查通报), `summons_meetings` (集体约谈会), `meetings`
(工作会议), with what they share in `documents`."""

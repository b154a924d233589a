"""The enforcement case (环境执法案件), pure: its state and fold (`case`), its rules (`rules`).

The helpers the rules use are here too: money (元 and 分), the daily continuous penalty
(按日连续处罚) and the unified social credit code (统一社会信用代码).
"""

from services.enforcement.commands import Command
from services.enforcement.domain.case import EnforcementCase, Order, Penalty, Totals, evolve
from services.enforcement.domain.rules import decide
from shared.aggregate import Decider

# The enforcement case as one value: what the handler runs every command through.
decider: Decider[Command, EnforcementCase | None] = Decider(decide=decide, evolve=evolve, initial=None)

__all__ = ["EnforcementCase", "Order", "Penalty", "Totals", "decide", "decider", "evolve"]

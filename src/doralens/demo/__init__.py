"""Demo data: months of made-up but realistic DORA history for several teams, to see doralens at work.

``fill`` writes it into an open store (``doralens demo`` and ``doralens serve --demo`` call it).
"""

from doralens.demo.fill import DemoSummary, fill

__all__ = ["DemoSummary", "fill"]

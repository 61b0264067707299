"""The ground floor: the vocabulary every layer shares, importing nothing of PhuanKru's.

The internal model (events, messages, targets), the clock protocol, the office calendar, what a send returns, Thai
text helpers (digits, dates, splitting), spreadsheet safety and the shipped Thai font. `storage/`, `handlers/`,
`scheduler/` and `bot/` all stand on it; it stands on the standard library and third-party packages only.
"""

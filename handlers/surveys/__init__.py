"""Surveys as the office knows them: definitions (the YAML/xlsx format, question types, validation), the shipped
templates, and the report (n, %, mean, S.D., Thai interpretation, xlsx, chart). A new question type starts in
`definitions`; the cards that ask it are in `messages`, the conversation in `handlers.chat.surveys`; opening and
closing campaigns are the office's actions, `handlers.office.campaigns`."""

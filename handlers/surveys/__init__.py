"""Surveys as the office knows them: definitions (the YAML/xlsx format, question types, validation), the shipped
templates, and the report (n, %, mean, S.D., Thai interpretation, xlsx, chart). A new question type starts in
`definitions`; the conversation that asks it is `handlers.chat.surveys`."""

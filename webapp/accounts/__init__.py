"""Accounts of the people who run surveys: CX leads (author), finance and insight readers (analyst), admins.

Respondents never have accounts. Every page that is not a respondent page requires a signed-in user with the
right role (`webapp.accounts.guard`).
"""

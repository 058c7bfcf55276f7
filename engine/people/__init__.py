"""People: the directory of users and groups, accounts and sign-in, API tokens and break-glass access."""

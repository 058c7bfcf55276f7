"""The process library as admins change it: deploy versions, say first what a change will do (plans),
compare versions by meaning, promote or withdraw pilots, the browser modeller's Check and Deploy, the form
editor, and moving running instances to another version.
"""

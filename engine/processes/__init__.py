"""The process library as admins change it: deploy versions, compare them, pilot rules in use, the
browser modeller's Check and Deploy, the form editor, and moving running instances to another version.
"""

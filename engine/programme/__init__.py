"""The partnership's change programme: the roadmap to a Contextual Safeguarding system and its evidence.

The governance group, champions and their training, the values agreement, critical friends' questions,
the actions raised by meetings and reviews, and reflections on pilots (docs/domain.md, the change
programme). The work itself runs on shipped routes (``governance_meeting``, ``programme_action``,
``values_agreement``, ``critical_friend_question``, ``pilot_reflection``); their service operations write
what was decided onto the programme's tables (engine/operations/programme.py). Nothing here holds case data.
"""

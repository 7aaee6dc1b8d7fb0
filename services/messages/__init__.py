"""Internal mail and parents' questions (issue 16.1–2).

- `rules.py`: who may write to whom (by role), the groups a role may write to;
- `mail.py`: write, send, reply, forward, drafts, read (receipts), folders, search, the unread counter,
  attachments, retention (`flask messages prune`);
- `questions.py`: a parent's questions unanswered after 3 days (seed 000 §3.4), for the control page.
"""

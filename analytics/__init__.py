"""Analytics for editors and admins (issue 11): counts of the bot's interactions, FAQ use and ratings, hand-offs
and first-response times, open unanswered questions; charts as server-rendered SVG with a table and a CSV each.

Nothing here shows personal data: the pages and CSV files hold counts, dates, team names and the city's own FAQ
questions, never a LINE user id or a citizen's text.
"""

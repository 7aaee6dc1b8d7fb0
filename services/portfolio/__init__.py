"""The students' electronic portfolio and the portfolio of projects (seed 000 §3.4, §4.3; issue 18.3).

`entries.py`: the achievements of a student — who adds them (confirmed at once), a student's proposal and the
class teacher's confirmation or rejection with a reason, who reads them, the attached file, the class's summary;
`projects.py`: projects (supervisor, participants from any classes, stages, result) and their flush rules.
"""

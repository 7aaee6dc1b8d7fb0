"""«Портфолио»: the students' portfolio pages and the projects' model views (services/portfolio/)."""

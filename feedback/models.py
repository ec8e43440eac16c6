# Surveys, feedback threads, meetings and improvement plans arrive in later issues.

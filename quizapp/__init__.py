"""quizapp: the study app and command line over the `engine` library."""

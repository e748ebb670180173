"""Measuring the tutor on the lessons' own quizzes: retrieval, refusal, answers; reports and plots."""

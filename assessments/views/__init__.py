"""The pages: the portfolio (managers), one partner's scorecard, and the exports."""

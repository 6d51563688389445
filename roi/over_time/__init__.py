"""Results over time: metrics per wave with the tests of change between waves (`waves`, on the tests of
`change`), and the churn model on each customer's latest answer per window."""

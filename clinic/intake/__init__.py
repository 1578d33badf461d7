"""Client intake, consent and contraindication screening."""

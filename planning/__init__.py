"""Planning: district KPIs against the standards, and quality control of call timelines."""

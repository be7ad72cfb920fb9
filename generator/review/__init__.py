"""Spec review: classify the changes between two sets of specs under the versioning policy.

sources (BASE/HEAD → specs) → compare + schema_diff (effective contracts, judged by the policy table) →
verdict (versions, exemptions, waivers) → report (text, Markdown, JSON). `changes` is the doc site's API.
"""

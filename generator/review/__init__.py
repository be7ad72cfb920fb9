"""Spec review: classify the changes between two sets of specs under the versioning policy.

sources (BASE/HEAD → specs, read leniently by reader + shape, lines by lines) → compare + schema_diff
(effective contracts, judged by the policy table) → verdict (versions, exemptions, waivers, one finding per
change) → report (text, Markdown under the PR-comment limit, JSON; refusals too). `changes` is the doc
site's API.
"""

//! keygate-policy: the policy evaluator (being written; see the next commit).

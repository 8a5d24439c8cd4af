"""``python -m ami_workflow``: print the bundled 2021 call and walk one sample dossier through its life."""

from .demo import walk_sample_dossier

walk_sample_dossier()

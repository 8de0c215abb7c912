"""Loss references, each the value torch's loss function gives with its default reduction.

The registry reads a topic's references from the module named after it, and the losses
are many, so they are declared by family, each family with the torch calls behind it:
`regression_losses` (a prediction against a real target), `classification_losses`
(classes, probabilities, binary targets) and `embedding_losses` (margins and similarities
between scores or embeddings). What the families share, how a loss is run and reduced,
is `loss_runs`. This module only gathers the families under the topic "losses".
"""

from engine.references import classification_losses, embedding_losses, regression_losses

REFERENCES = (
    *regression_losses.REFERENCES,
    *classification_losses.REFERENCES,
    *embedding_losses.REFERENCES,
)

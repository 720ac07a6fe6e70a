"""Help > Guide to the views: what each view is for, and the few ideas needed to read them."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

GUIDE_HTML = """
<h2>How SiamGUI judges similarity</h2>
<p><b>Twin encoders with shared weights.</b> A Siamese network is one encoder used twice: each input
(a photo, a recording, a drawn character) goes through the <i>same</i> network with the <i>same</i>
weights and comes out as an embedding, a list of numbers. Because both sides are encoded alike, two
inputs can be compared by comparing their embeddings.</p>
<p><b>Distance.</b> How far apart the two embeddings are (cosine or euclidean, as the model card
says). Small means alike, large means different. The distance is all the network gives; it does
not name anyone.</p>
<p><b>Threshold.</b> The distance at which the verdict flips: at or below it two inputs are judged
the <i>same</i>, above it <i>different</i>. Every threshold trades false accepts (strangers let
in) against false rejects (the same person turned away). The model card ships one; Calibrate
measures your own.</p>
<p><b>One-shot.</b> The network is never retrained for new people: one to five samples of a person
are enough to enrol them, because any new input is simply compared with those samples.</p>
<p><b>How the encoder learned.</b> Training shows the twin network batches of several classes with a
few samples each and a <i>loss</i> that rewards the distances it should give.
<i>Contrastive</i>: pairs of the same class pulled together, pairs of different classes pushed past a
margin. <i>Triplet</i>: an anchor must be closer to a sample of its class than to one of another,
by a margin. <i>Quadruplet</i>: a triplet plus a second negative pair, so unrelated pairs are pushed
apart too. <i>Proto</i>: each sample must be nearest to the centre of its own class among the
batch's classes (the prototypical-network and GE2E family). <i>CosFace / ArcFace</i>: a learned
centre for every training class and a margin on the right one, what face and speaker recognition
train with. Classes held out of training show whether it learned to compare, not to memorise.</p>
<p><b>The shipped models.</b> <i>face</i>: people's faces, found and aligned first (dlib's network).
<i>voice</i>: who is speaking, whatever the words (Resemblyzer's network, fine-tuned here).
<i>glyph</i>: hand-drawn characters of alphabets it never saw. <i>digit</i>: the ten handwritten
digits. <i>fruit</i>: varieties of a fruit from one photo each, on a plain light background; a small
network joined to a colour histogram, because colour alone already tells most varieties apart and the
network learns what colour gets wrong. <i>sound</i>: cat or dog, a demo trained on clips that state no
licence, so it ships no samples. Each model's card (its description heads Compare; <tt>siamgui card
MODEL.onnx</tt> prints all of it) says what it was trained on and how well it did on classes it never
saw.</p>

<h2>The views</h2>
<p><b>Compare</b> &mdash; two files side by side: the region the encoder looked at, what it was
given (the model's input), the distance and the verdict. Move the threshold to see the verdict
change; nothing is re-computed.</p>
<p><b>Live</b> &mdash; the camera (faces) or the microphone (voices). <i>Verify</i> judges each
frame or utterance against one reference; <i>Identify</i> looks for the nearest enrolled person in
the gallery. A video or audio file can stand in for the device.</p>
<p><b>Gallery</b> &mdash; enrol people from 1-5 samples, rename or delete them, add samples, export
everything to a zip, and identify a file. Each model keeps its own embeddings; after a model switch
the stored samples can be re-embedded.</p>
<p><b>Calibrate</b> &mdash; choose the threshold on your own data: a folder with one sub-folder per
class (or a labelled pairs CSV). You see the same-pair and different-pair distances, the ROC curve,
and what a threshold costs in false accepts and false rejects. <i>Use this threshold</i> stores it
for this model file; the model itself is not changed.</p>
<p><b>Few-shot</b> &mdash; name new inputs from a few examples per class, without retraining: a
support folder with one sub-folder per class (or example files added under a class name), then a
folder or files to classify. Each query goes to the nearest class mean, the nearest example or a
linear SVM on the embeddings. A folder of class folders gives the accuracy and a confusion matrix
(rows: true class); pick a query to see its nearest examples. The <i>k-shot curve</i> draws
N-way episodes from the support set: how accuracy grows from one example per class to ten.</p>
<p><b>Train</b> &mdash; run one of the seeds' experiments (a recipe) or your own folder of classes
with a preset, a loss and the minutes to spend. Training runs in a separate process; the loss and
the held-out curves (EER, 20-way one-shot) are drawn as it learns. Cancel keeps a checkpoint that
<i>Resume</i> continues from; the finished model appears in the model picker with its card.</p>
<p><b>Why?</b> (in Compare and Live, Ctrl+Y) &mdash; hides one patch of each model input at a time
and measures how the distance moves: red patches made the pair look alike, blue ones set them apart.
The same encoder does the work, so the map explains this model, not a person's impression. In Live
it freezes the pair being judged (the live face or last utterance, and the reference) and shows the
maps over both; against an enrolled person, whose reference is the average of their samples and so
has no picture, only the live input is mapped. <i>Back to live</i> returns to the camera or
microphone and its last verdict.</p>
<p><b>Models and devices</b> &mdash; pick a model at the top; the status bar says where it really
runs (CUDA or CPU). Settings &gt; Device chooses Auto, CUDA or CPU.</p>
"""


class GuideDialog(QDialog):
    """A short, scrollable guide; non-modal so it can stay open beside the window."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Guide to SiamGUI")
        self.resize(620, 560)
        self.text = QTextBrowser()
        self.text.setObjectName("guideText")
        self.text.setOpenExternalLinks(False)
        self.text.setHtml(GUIDE_HTML)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)

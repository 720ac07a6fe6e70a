"""The hand-painted charts, in one place, one module each: ``histogram`` (distance histograms
with the threshold line), ``roc``, ``kshot`` (the k-shot curve), ``confusion`` (the confusion
matrix), ``scope`` (the microphone's scope and level meter), ``training`` (the training
curves), ``waveform`` (a clip over a time axis) and ``distance_scale`` (the verdict's 0-2 scale);
``axes`` holds what they share (palette, ticks, axis labels, legend row).

Each chart is a widget that takes data (``set_data``, ``set_curve``, ``set_matrix``, ``add``,
``set_progress``) and paints it; the views only feed them, and ``widget.grab()`` gives the PNG
a view saves. Nothing is imported here, so a view loads only the charts it shows.
"""

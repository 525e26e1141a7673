"""Entry points: the ``tocsin`` command, the supervisor and the demo.

The only code that imports every stage (collectors, processors, alerts, api) and
the embedded peers. The shared core (``tocsin``) and the stages never import it;
``tests/test_layers.py`` keeps it so. A package of its own, under a name no other
distribution uses (``launch`` alone is taken, by ROS 2 among others), so the
arrows of the import graph all point down from here.
"""

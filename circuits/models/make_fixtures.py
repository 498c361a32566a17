#!/usr/bin/env python3
"""Make the tiny ONNX graphs that tosim's loader tests read (circuits/models/fixtures/).

Built with onnx.helper, the way PyTorch's exporter writes them (Gemm with transB=1,
weights in raw_data, BatchNormalization on a (N, C) tensor), so the loader is tested
on operators the digits model does not use. The expected outputs come from the onnx
package's own reference evaluator, an implementation independent of tosim.

  venv/bin/python circuits/models/make_fixtures.py
"""

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
rng = np.random.default_rng(7)


def init(name, arr, raw=True):
    arr = np.asarray(arr, dtype=np.float32)
    if raw:
        return numpy_helper.from_array(arr, name)  # raw_data, as PyTorch writes
    return helper.make_tensor(name, TensorProto.FLOAT, arr.shape, arr.flatten().tolist())  # float_data


def save(model, name):
    onnx.checker.check_model(model)
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(model.SerializeToString())


def all_ops():
    """Every operator tosim's MLP loader accepts, on a (N, 1, 2, 4) input."""
    w1 = rng.normal(0, 0.5, (6, 8))  # Gemm transB=1: (out, in)
    b1 = rng.normal(0, 0.1, 6)
    bn_scale = rng.uniform(0.5, 1.5, 6)
    bn_bias = rng.normal(0, 0.2, 6)
    bn_mean = rng.normal(0, 0.3, 6)
    bn_var = rng.uniform(0.2, 2.0, 6)
    w2 = rng.normal(0, 0.5, (6, 5))  # MatMul: (in, out)
    b2 = rng.normal(0, 0.1, 5)
    w3 = rng.normal(0, 0.5, (5, 4))  # Gemm transB=0, alpha/beta
    b3 = rng.normal(0, 0.1, 4)
    w4 = rng.normal(0, 3.0, (3, 4))  # Gemm transB=1 without bias
    nodes = [
        helper.make_node("Cast", ["input"], ["x0"], name="/Cast", to=TensorProto.FLOAT),
        helper.make_node("Flatten", ["x0"], ["x1"], name="/Flatten", axis=1),
        helper.make_node("Gemm", ["x1", "fc1.weight", "fc1.bias"], ["x2"], name="/fc1/Gemm", transB=1),
        helper.make_node(
            "BatchNormalization",
            ["x2", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"],
            ["x3"],
            name="/bn/BatchNormalization",
            epsilon=1e-5,
            momentum=0.9,
            training_mode=0,
        ),
        helper.make_node("LeakyRelu", ["x3"], ["x4"], name="/LeakyRelu", alpha=0.1),
        helper.make_node("MatMul", ["x4", "fc2.weight_t"], ["x5"], name="/fc2/MatMul"),
        helper.make_node("Add", ["x5", "fc2.bias"], ["x6"], name="/fc2/Add"),
        helper.make_node("Sigmoid", ["x6"], ["x7"], name="/Sigmoid"),
        helper.make_node("Gemm", ["x7", "fc3.w", "fc3.b"], ["x8"], name="/fc3/Gemm", alpha=0.5, beta=2.0),
        helper.make_node("Tanh", ["x8"], ["x9"], name="/Tanh"),
        helper.make_node("Reshape", ["x9", "shape"], ["x10"], name="/Reshape"),
        helper.make_node("Identity", ["x10"], ["x11"], name="/Identity"),
        helper.make_node("Relu", ["x11"], ["x12"], name="/Relu"),
        helper.make_node("Gemm", ["x12", "fc4.weight"], ["x13"], name="/fc4/Gemm", transB=1),
        helper.make_node("Softmax", ["x13"], ["output"], name="/Softmax", axis=1),
    ]
    inits = [
        init("fc1.weight", w1),
        init("fc1.bias", b1),
        init("bn.weight", bn_scale),
        init("bn.bias", bn_bias),
        init("bn.running_mean", bn_mean),
        init("bn.running_var", bn_var),
        init("fc2.weight_t", w2, raw=False),
        init("fc2.bias", b2, raw=False),
        init("fc3.w", w3),
        init("fc3.b", b3),
        init("fc4.weight", w4),
        numpy_helper.from_array(np.array([-1, 4], dtype=np.int64), "shape"),
    ]
    graph = helper.make_graph(
        nodes,
        "all_ops",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 1, 2, 4])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 3])],
        inits,
    )
    # Opset 15, as recent PyTorch exports: BatchNormalization has training_mode. (The onnx
    # reference evaluator's opset-9 BatchNormalization uses the batch's statistics whenever
    # `momentum` is set, so an opset-13 graph would not be an inference-mode reference.)
    model = helper.make_model(graph, producer_name="tosim-fixtures", opset_imports=[helper.make_opsetid("", 15)])
    model.ir_version = 8
    save(model, "all_ops.onnx")
    x = rng.normal(0, 1, (5, 1, 2, 4)).astype(np.float32)
    (y,) = ReferenceEvaluator(model).run(None, {"input": x})
    np.save(os.path.join(HERE, "all_ops_x.npy"), x)
    np.save(os.path.join(HERE, "all_ops_y.npy"), y.astype(np.float32))


def unsupported():
    """A Conv node: not (yet) supported, the loader must name it and its node."""
    nodes = [
        helper.make_node("Conv", ["input", "w"], ["c"], name="conv0", kernel_shape=[2, 2]),
        helper.make_node("Flatten", ["c"], ["output"], name="flat"),
    ]
    graph = helper.make_graph(
        nodes,
        "unsupported",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 1, 3, 3])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 4])],
        [init("w", rng.normal(0, 1, (1, 1, 2, 2)))],
    )
    model = helper.make_model(graph, producer_name="tosim-fixtures", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    save(model, "unsupported_conv.onnx")


def main():
    os.makedirs(HERE, exist_ok=True)
    all_ops()
    unsupported()
    print(f"onnx {onnx.__version__}, numpy {np.__version__}: wrote", sorted(os.listdir(HERE)))


if __name__ == "__main__":
    main()

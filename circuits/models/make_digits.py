#!/usr/bin/env python3
"""Make the default tosim network: a small MLP on scikit-learn's 8x8 digits.

Writes, next to this script:
  digits_mlp.onnx      MLPClassifier 64-32-10 (ReLU), exported by skl2onnx (zipmap=False)
  digits_test_x.npy    test split inputs, float32, shape (N, 64), pixel values 0..16
  digits_test_y.npy    test split labels, int64, shape (N,)

Prints the scikit-learn test accuracy (recorded in README.md).

The data set is bundled inside scikit-learn (no download). Everything is seeded, so
a rerun with the same package versions gives the same files:

  python3 -m venv venv && venv/bin/pip install scikit-learn skl2onnx onnx numpy
  venv/bin/python circuits/models/make_digits.py
"""

import os

import numpy as np
import onnx
import sklearn
import skl2onnx
from skl2onnx import to_onnx
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 0


def main():
    digits = load_digits()
    x = digits.data.astype(np.float32)  # (1797, 64), integers 0..16
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=SEED, stratify=y)

    clf = MLPClassifier(
        hidden_layer_sizes=(32,),
        activation="relu",
        solver="adam",
        max_iter=400,
        random_state=SEED,
    )
    clf.fit(x_train, y_train)
    acc = clf.score(x_test, y_test)

    onx = to_onnx(clf, x_train[:1], options={id(clf): {"zipmap": False}}, target_opset=13)
    onx.doc_string = "tosim default model: MLPClassifier 64-32-10 ReLU on sklearn digits (circuits/models/make_digits.py)"
    onnx.checker.check_model(onx)
    with open(os.path.join(HERE, "digits_mlp.onnx"), "wb") as f:
        f.write(onx.SerializeToString())

    np.save(os.path.join(HERE, "digits_test_x.npy"), np.ascontiguousarray(x_test, dtype=np.float32))
    np.save(os.path.join(HERE, "digits_test_y.npy"), np.ascontiguousarray(y_test, dtype=np.int64))

    # The ONNX graph must predict what scikit-learn predicts (checked with the
    # onnx package's reference evaluator, so no onnxruntime is needed).
    from onnx.reference import ReferenceEvaluator

    sess = ReferenceEvaluator(onx)
    label, _prob = sess.run(None, {"X": x_test})
    agree = float(np.mean(label == clf.predict(x_test)))

    print(f"scikit-learn {sklearn.__version__}, skl2onnx {skl2onnx.__version__}, onnx {onnx.__version__}, numpy {np.__version__}")
    print(f"train samples {len(y_train)}, test samples {len(y_test)}")
    print(f"iterations {clf.n_iter_}, sklearn test accuracy {acc:.6f} ({int(round(acc * len(y_test)))}/{len(y_test)})")
    print(f"onnx reference evaluator agrees with sklearn on {agree:.6f} of the test samples")
    print("ops:", [n.op_type for n in onx.graph.node])


if __name__ == "__main__":
    main()

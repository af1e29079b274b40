# Writes test/fixtures/model-buckets.json: SimpleTuner's own target sizes per model family (its bucket alignment),
# computed by importing MultiaspectImage from a SimpleTuner checkout or bare mirror at run time (nothing is copied).
# Usage: /usr/bin/python3 scripts/gen-model-buckets.py <SimpleTuner checkout or bare mirror> \
#   > test/fixtures/model-buckets.json
import json
import os
import subprocess
import sys
import types

SOURCE = sys.argv[1]
REL = "simpletuner/helpers/multiaspect/image.py"

# The families SimpleTuner ships examples for, with the alignment its model class forces (None: keeps the 64
# default) and a resolution setup like their examples'.
FAMILIES = [
    ("anima", None, 16, 1024, "pixel_area"), ("auraflow", None, 64, 1024, "pixel_area"),
    ("chroma", None, 64, 1024, "pixel_area"), ("cosmos2image", None, 16, 1024, "pixel_area"),
    ("cosmos3", None, 16, 1024, "pixel_area"), ("deepfloyd", "i-medium-400m", 32, 64, "pixel"),
    ("ernie", None, 64, 1024, "pixel_area"), ("flux", None, 64, 512, "pixel_area"),
    # HiDream at 768: below its 1024² MAXIMUM_CANVAS_SIZE, which TrainingSample (not MultiaspectImage) applies.
    ("flux2", None, 16, 1024, "pixel_area"), ("hidream", None, 64, 768, "pixel_area"),
    ("hunyuanvideo", None, 64, 480, "pixel_area"), ("ideogram", None, 64, 1024, "pixel_area"),
    ("infinitetalk", None, 32, 480, "pixel_area"), ("kandinsky5-image", None, 64, 1024, "pixel_area"),
    ("kandinsky5-video", None, 64, 480, "pixel_area"), ("kolors", None, 64, 1024, "pixel_area"),
    ("krea2", None, 64, 1024, "pixel_area"), ("longcat_image", None, 64, 1024, "pixel_area"),
    ("longcat_video", None, 64, 480, "pixel_area"), ("ltxvideo", None, 64, 480, "pixel_area"),
    ("ltxvideo2", None, 64, 480, "pixel_area"), ("lumina2", None, 64, 1024, "pixel_area"),
    ("mageflow", None, 16, 1024, "pixel_area"), ("omnigen", None, 64, 1024, "pixel_area"),
    ("pixart_sigma", None, 64, 1024, "pixel_area"), ("qwen_image", None, 32, 1024, "pixel_area"),
    ("sana", None, 64, 1024, "pixel_area"), ("sanavideo", None, 64, 480, "pixel_area"),
    ("sd1x", None, 64, 512, "pixel"), ("sd2x", None, 64, 768, "pixel"), ("sd3", None, 64, 1024, "pixel_area"),
    ("sdxl", None, 64, 1024, "pixel_area"), ("stable_cascade", None, 64, 1024, "pixel_area"),
    ("wan", "t2v-480p-1.3b-2.1", 32, 480, "pixel_area"), ("wan", "ti2v-5b-2.2", 64, 512, "pixel_area"),
    ("wan_s2v", None, 32, 480, "pixel_area"), ("z_image", None, 64, 1024, "pixel_area"),
]
# Non-square originals only: SimpleTuner's TrainingSample then forces a square target to pixel_resolution (with
# the area snapping table), a step outside MultiaspectImage that test/metadata/geometry.test.ts covers.
SIZES = [(1920, 1080), (1080, 1920), (3000, 2000), (832, 1216), (4000, 3000), (640, 480), (1000, 1500)]


def source_text() -> str:
    path = os.path.join(SOURCE, REL)
    if os.path.exists(path):
        return open(path, encoding="utf8").read()
    return subprocess.check_output(["git", "-C", SOURCE, "show", f"HEAD:{REL}"], text=True)


class Tracker:
    args = None

    @classmethod
    def get_args(cls):
        return cls.args

    @staticmethod
    def get_resolution_by_aspect(*_a, **_k):
        return None

    @staticmethod
    def set_resolution_by_aspect(*_a, **_k):
        return None


def load_module():
    for name in ["simpletuner", "simpletuner.helpers", "simpletuner.helpers.training", "torchvision"]:
        sys.modules.setdefault(name, types.ModuleType(name))
    st = types.ModuleType("simpletuner.helpers.training.state_tracker")
    st.StateTracker = Tracker
    sys.modules["simpletuner.helpers.training.state_tracker"] = st
    sys.modules["torchvision"].transforms = types.SimpleNamespace()
    mod = types.ModuleType("st_image")
    exec(compile(source_text(), REL, "exec"), mod.__dict__)
    return mod.MultiaspectImage


def main():
    mi = load_module()
    rows = []
    for family, flavour, alignment, res, rtype in FAMILIES:
        Tracker.args = types.SimpleNamespace(aspect_bucket_alignment=alignment, aspect_bucket_rounding=2)
        for w, h in SIZES:
            aspect = mi.calculate_image_aspect_ratio((w, h))
            if rtype == "pixel":
                target, inter, new_aspect = mi.calculate_new_size_by_pixel_edge(aspect, res, (w, h))
            else:
                target, inter, new_aspect = mi.calculate_new_size_by_pixel_area(aspect, res * res / 1e6, (w, h))
            rows.append({"family": family, "flavour": flavour, "resolution": res, "resolution_type": rtype,
                         "original": [w, h], "target": list(target), "aspect": new_aspect})
    json.dump(rows, sys.stdout, indent=1)
    sys.stdout.write("\n")


main()

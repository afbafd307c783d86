"""What the bundle leaves out, as data: read by packaging/ecgstudio.spec and checked by
packaging/trace_runtime.py against every module the test suite and the smoke import.

Python modules PyInstaller must not collect (``excludes=``, names) and collected files dropped
by their path inside the bundle (fnmatch patterns, matched case-insensitively).
"""
from __future__ import annotations

# Qt modules and Python packages the app never imports (QtOpenGL stays: pyqtgraph imports it).
# Their hooks would otherwise pull in large libraries (QtQuick/QML, WebEngine, 3D, multimedia) or
# GUI toolkits we do not use (tkinter, IPython).
EXCLUDED_MODULES = [
    "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets", "PySide6.QtQuickControls2",
    "PySide6.QtQuickTest", "PySide6.QtQmlFeatures", "PySide6.QtWebEngineCore", "PySide6.QtWebEngineWidgets",
    "PySide6.QtWebChannel", "PySide6.Qt3DCore", "PySide6.QtMultimedia", "PySide6.QtDesigner",
    "PySide6.QtHelp", "PySide6.QtUiTools", "PySide6.QtSql", "PySide6.QtTest", "PySide6.QtNetwork",
    "PySide6.QtConcurrent", "PySide6.QtDBus", "PySide6.QtXml", "PySide6.QtLabsStyleKit",
    "PyQt5", "PyQt6", "PySide2",
    "pyqtgraph.opengl", "pyqtgraph.examples", "pyqtgraph.jupyter", "pyqtgraph.canvas",
    "tkinter", "_tkinter", "IPython", "jupyter_client", "ipykernel", "notebook",
    "matplotlib.backends.backend_qtagg", "matplotlib.backends.backend_qt", "matplotlib.backends.backend_tkagg",
    "matplotlib.backends.backend_webagg", "matplotlib.backends.backend_wx", "matplotlib.backends.backend_gtk3",
    "torch.utils.tensorboard", "tensorboard", "torchvision", "torchaudio",
    "pytest", "_pytest", "PyInstaller",
    # wfdb's download code (through fsspec's HTTP file system); the app never downloads.
    "aiohttp", "yarl", "multidict", "aiohappyeyeballs", "aiosignal",
    # lxml (10 MiB): nothing the app runs imports it (the XML readers use the standard library through
    # defusedxml); Pillow's AVIF codec (libavif, 5 MiB): the app reads no AVIF images.
    "lxml", "PIL._avif", "PIL.AvifImagePlugin",
    # Never imported: with every module recorded that the test suite (736 tests, engine children
    # included) and the smoke import (packaging/trace_runtime.py, which fails should one of these appear),
    # none of these ever is. networkx (torch.compile's partitioner), setuptools/distutils/filelock/jinja2
    # (torch's C++-extension and compiler paths), PyYAML, attrs, markdown-it, pydoc's topics; neurokit2
    # and PyWavelets serve only `measure-eval`'s comparison, a research harness that says so when
    # neurokit2 is missing; scikit-learn's estimators besides the metrics and the linear models LIME
    # fits; SciPy's clustering; contourpy (matplotlib's contour plots); three sympy sub-packages torch's
    # symbolic shapes do not load. cffi stays: soundfile needs it for WFDB's FLAC formats (508/516/524),
    # which the suite did not read but the smoke does.
    "networkx", "setuptools", "pkg_resources", "distutils", "filelock", "jinja2", "yaml", "attr",
    "markdown_it", "pydoc_data", "neurokit2", "pywt", "optuna.visualization",
    "sklearn.cluster", "sklearn.neighbors", "sklearn.tree", "sklearn.ensemble", "sklearn.datasets",
    "sklearn.decomposition", "sklearn.manifold", "sklearn.feature_extraction", "scipy.cluster", "contourpy",
    "sympy.combinatorics", "sympy.physics", "sympy.vector",
    # Never imported either, inside packages that are: torch's compiler back ends (the app runs eager
    # PyTorch and never calls torch.compile), its vendored CUDA kernels, GPU benchmark and HIP tools;
    # pydantic's v1 shim; SQLAlchemy's server dialects (Optuna's studies are SQLite files); Pillow's
    # font, WebP and Tk modules (matplotlib draws text with its own FreeType module), with them
    # FreeType, HarfBuzz, WebP and Brotli.
    "torch._inductor.codegen", "torch._inductor.fx_passes", "torch._inductor.kernel", "torch._vendor.quack",
    "torch.utils.benchmark", "torch.utils.hipify", "pydantic.v1", "sqlalchemy.dialects.mysql",
    "sqlalchemy.dialects.oracle", "sqlalchemy.dialects.mssql", "PIL._imagingft", "PIL._webp", "PIL._imagingtk",
    "PIL.ImageTk",
]

# Collected files the app does not need at run time, as patterns on their path inside the bundle:
# torch's C++ headers, static libraries, C++ test binaries (torch/test, 83 MB) and test libraries;
# Qt translations and the QML/Quick runtime that the excluded modules would have used.
EXCLUDED_FILES = [
    "torch/include/*", "torch/share/*", "torch/test/*", "torch/bin/*test*", "torch/bin/protoc*", "torch/bin/*.pt*",
    "torch/bin/upgrader_models*", "torch/lib/*test*.so", "torch/lib/libbackend_with_compiler.so",
    "torch/lib/libaoti_custom_ops.so", "*.a", "*.lib", "*.h", "*.hpp", "*.cuh", "*.pyi",
    "torch/testing/_internal/data/*",
    "PySide6/Qt/translations/*", "PySide6/Qt/qml/*", "PySide6/Qt/lib/libQt6Qml*", "PySide6/Qt/lib/libQt6Quick*",
    "PySide6/Qt/lib/libQt6Pdf*", "PySide6/Qt/lib/libQt6VirtualKeyboard*", "PySide6/Qt/plugins/qmltooling/*",
    "PySide6/Qt/plugins/designer/*", "PySide6/Qt/plugins/sqldrivers/*",
    "PySide6/Qt/lib/libQt6Designer*", "PySide6/Qt/lib/libQt6Sql*", "PySide6/Qt/lib/libQt6Help*",
    "matplotlib/mpl-data/sample_data/*", "matplotlib/mpl-data/images/*",
    # matplotlib's fonts but DejaVu Sans and its last-resort glyphs: the engine's plots (reliability
    # diagrams, explanations, cohort figures) set no font family and no math text; PostScript/PDF core
    # fonts serve backends the bundle does not carry (Agg only).
    "matplotlib/mpl-data/fonts/afm/*", "matplotlib/mpl-data/fonts/pdfcorefonts/*",
    "matplotlib/mpl-data/fonts/ttf/stix*", "matplotlib/mpl-data/fonts/ttf/cm*",
    "matplotlib/mpl-data/fonts/ttf/dejavuserif*", "matplotlib/mpl-data/fonts/ttf/dejavusansmono*",
    "sklearn/datasets/tests/*", "*/tests/data/*",
    # Qt platform plugins a workstation never uses (xcb, wayland and offscreen stay), the GTK3 theme
    # (it alone pulls GTK3 and its stack in), and the plugins of excluded modules (network, TLS). Qt
    # libraries are matched anywhere: PyInstaller also links them from the bundle's top folder.
    "PySide6/Qt/plugins/platforms/libqeglfs.so", "PySide6/Qt/plugins/platforms/libqlinuxfb.so",
    "PySide6/Qt/plugins/platforms/libqminimal.so", "PySide6/Qt/plugins/platforms/libqminimalegl.so",
    "PySide6/Qt/plugins/platforms/libqvkkhrdisplay.so", "PySide6/Qt/plugins/platforms/libqvnc.so",
    "PySide6/Qt/plugins/egldeviceintegrations/*", "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    "PySide6/Qt/plugins/wayland-graphics-integration-server/*", "PySide6/Qt/plugins/networkinformation/*",
    "PySide6/Qt/plugins/tls/*", "*libQt6EglFS*", "*libQt6WaylandCompositor*",
    # TUIO touch over the network (the only user of libQt6Network, 2.1 MiB) and the image formats the app
    # neither reads nor writes (it writes PNG, built into QtGui; SVG, ICO, GIF and JPEG stay).
    "PySide6/Qt/plugins/generic/libqtuiotouchplugin.so", "*libQt6Network*",
    "PySide6/Qt/plugins/imageformats/libqtiff.so", "PySide6/Qt/plugins/imageformats/libqwebp.so",
    "PySide6/Qt/plugins/imageformats/libqicns.so", "PySide6/Qt/plugins/imageformats/libqtga.so",
    "PySide6/Qt/plugins/imageformats/libqwbmp.so",
    # Never ship GPL-licensed test data (GE MUSE examples), should it ever be copied into resources/.
    "*ge_muse*", "*braveheart*",
]

# Excluded, yet imported while the suite runs: the tools the tests drive the app with, never the app.
TEST_TOOLS = ("pytest", "_pytest", "PySide6.QtTest", "PyInstaller")

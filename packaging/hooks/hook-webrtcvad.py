# The webrtcvad module comes from the prebuilt `webrtcvad-wheels` distribution; the contributed
# hook asks for the metadata of a `webrtcvad` distribution, which is not installed, and fails.
from PyInstaller.utils.hooks import copy_metadata

datas = copy_metadata("webrtcvad-wheels")
hiddenimports = ["_webrtcvad"]

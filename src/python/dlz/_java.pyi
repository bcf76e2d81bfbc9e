# Type stubs of dlz._java (Java values as Python values; see _java.py).
from typing import Any, Iterable, Tuple, Union

class JavaInteger(int):
    java_class: str
class JavaLong(int):
    java_class: str
class JavaShort(int):
    java_class: str
class JavaByte(int):
    java_class: str
class JavaDouble(float):
    java_class: str
class JavaFloat(float):
    java_class: str
class JavaChar(str):
    java_class: str
    def __new__(cls, value: Union[int, str]) -> JavaChar: ...
class JavaStringArray(list[Any]):
    java_class: str
class JavaObjectArray(list[Any]):
    java_class: str
class JavaLinkedHashMap(dict[Any, Any]):
    java_class: str
class JavaMapItems(list[Tuple[Any, Any]]):
    linked: bool
    def __init__(self, items: Iterable[Tuple[Any, Any]] = ..., linked: bool = ...) -> None: ...
    @property
    def java_class(self) -> str: ...
class JavaOpaque:
    java_class: str
    data: bytes
    def __init__(self, java_class: str, data: bytes) -> None: ...

def from_tree(tree: Tuple[int, Any]) -> Any: ...
def to_tree(v: Any, depth: int = ...) -> Tuple[int, Any]: ...

"""Pages of the journal domain: the grid and the class teacher's pages (`grid`; the grid's cells are built by
its presenter `grid_cells`), the diary (`diary`), the dictionaries (`dictionaries`) and «Итоговые отметки»
(`finals`); the pages' inputs (`forms`).
"""

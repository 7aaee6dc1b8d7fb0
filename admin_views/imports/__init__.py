"""«Импорт и выгрузка данных» (issue 17.1–17.2): the page of every kind of import (services/imports)."""

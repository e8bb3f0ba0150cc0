import os
DEBUG = False
SECRET_KEY = "dj-S3cret-K3y-9f7Qz"  # want: secret gantry.secret-assignment
DATABASE_PASSWORD = os.environ["DATABASE_PASSWORD"]  # want: none
DATABASES = {"default": {"URL": "postgres://app:Py-Url-Pw-31@db/app"}}  # want: secret gantry.connection-url-password
header = "Authorization: Bearer " + token  # want: none

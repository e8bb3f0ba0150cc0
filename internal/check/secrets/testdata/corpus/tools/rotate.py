import os

DB_PASSWORD = os.environ["DB_PASSWORD"]  # want: none
ADMIN_TOKEN = "Py-Adm1n-T0ken-9qX"  # want: secret
API_KEY = (  # want: none
    "Zq8Lm3Nv7Xc2Bt6Rw9Ks"  # want: secret
)
GITHUB_TOKEN = "{{fake:github}}"  # want: secret gitleaks.github-pat
EXAMPLE_TOKEN = "your-token-here"  # want: none
checksum = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # want: none

def connect(password=None):  # want: none
    return client.login(user="svc", password="Svc-L0gin-Pw-3")  # want: secret
